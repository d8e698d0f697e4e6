import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogEntity } from '../audit/audit-log.entity.js';
import { AdminController } from './admin.controller.js';
import { AdminLogRepository } from './admin-log.repository.js';
import { AdminLogService } from './admin-log.service.js';
import { CareTeamRepository } from './care-team.repository.js';
import { CareTeamService } from './care-team.service.js';
import { CareTeamsController } from './care-teams.controller.js';
import { DeviceRegistryService } from './device-registry.service.js';
import { DevicesController } from './devices.controller.js';
import { PatientRegistryService } from './patient-registry.service.js';
import { PatientRepository } from './patient.repository.js';
import { PatientsController } from './patients.controller.js';
import { RegistryDeviceRepository } from './registry-device.repository.js';
import { REGISTRY_ENTITIES } from './registry.entities.js';
import { UserAdminService } from './user-admin.service.js';
import { UserRepository } from './user.repository.js';
import { UsersController } from './users.controller.js';

/**
 * Care teams, users, patients and devices (admin REST, CONTRACT.md §4), the caller's identity
 * (/api/me), and the admin's audit and rejection queries. Device registration and deactivation
 * go through DeviceRegistryService only, which announces them on DeviceRegistryEvents.
 */
@Module({
  imports: [TypeOrmModule.forFeature([...REGISTRY_ENTITIES, AuditLogEntity])],
  controllers: [CareTeamsController, UsersController, PatientsController, DevicesController, AdminController],
  providers: [
    CareTeamRepository,
    UserRepository,
    PatientRepository,
    RegistryDeviceRepository,
    AdminLogRepository,
    CareTeamService,
    UserAdminService,
    PatientRegistryService,
    DeviceRegistryService,
    AdminLogService,
  ],
  exports: [TypeOrmModule, DeviceRegistryService, PatientRegistryService],
})
export class RegistryModule {}
