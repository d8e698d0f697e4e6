/**
 * Programmatic API of the device simulator (the backend's demo mode, the benchmark and the
 * tests use it; the CLI is main.ts). Generators are pure and deterministic under a seed;
 * runners do the MQTT and REST I/O.
 */
export { Rng, OuProcess, hashSeed } from './generators/prng.js';
export { generateDeviceStream, eventTime, type DeviceEvent, type DeviceStreamOptions, type PublishEvent } from './generators/device-stream.js';
export { OximeterModel } from './generators/oximeter.generator.js';
export { generateVentilatorNight } from './generators/ventilator.generator.js';
export { planNight, anchorNightIndex, nightIndexAt, PROFILE_BASELINES, DAY_MS, type NightPlan } from './generators/night-plan.js';
export { toReadingsPayload, toSamplePayload, toSessionPayload } from './generators/payload.js';
export {
  SCENARIOS,
  SCENARIO_IDS,
  MIXED_ROTATION,
  assignScenarios,
  devicesFor,
  isScenarioId,
  type ScenarioId,
  type ScenarioDefinition,
  type PatientPlan,
} from './scenarios/scenario-catalogue.js';
export { trippedRules, longestRunMs, REFERENCE_THRESHOLDS, type PatientData } from './scenarios/rule-checks.js';
export { historyRunFor, playScenarioHistory, collectThroughParser, type HistoryRun } from './scenarios/scenario-run.js';
export { SimDevice, type PublishRecord, type SimDeviceOptions } from './device/sim-device.js';
export { runDevice } from './device/device-runner.js';
export { LatencyRecorder, RunStats, type LatencySummary } from './device/run-stats.js';
export {
  runSimulation,
  runScenario,
  simulationStreams,
  MAX_HISTORY_MS,
  type SimulationOptions,
  type SimulationSummary,
  type SimulationProgress,
  type SimulatedPatient,
  type SimulatedDevice,
} from './run/simulation.js';
export { startDemoSimulation, demoEventPlacement, type DemoDevice, type DemoSimulation, type DemoSimulationOptions } from './run/demo-simulation.js';
export { runLoad, formatLoadProgress, formatLoadSummary, type LoadOptions, type LoadProgress, type LoadRecord, type LoadSummary } from './load/load-runner.js';
export { buildBadInputCases, type BadInputCase, type BadInputContext } from './bad-input/bad-input-cases.js';
export { runBadInput, type BadInputReport, type BadInputOutcome } from './bad-input/bad-input-runner.js';
export { provision, type ProvisionOptions } from './provisioning/provisioner.js';
export { readCredentials, writeCredentials, DEFAULT_CREDENTIALS_PATH, type SimCredentials, type ProvisionedPatient } from './provisioning/credentials-store.js';
export { RestClient, RestError } from './provisioning/rest-client.js';
