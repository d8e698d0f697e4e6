import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { PatientRegistryService } from './patient-registry.service.js';
import { CreatePatientDto, UpdatePatientDto } from './registry.dto.js';
import { IdentityStatusChangeView, PatientView } from './registry.views.js';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('api/patients')
export class PatientsController {
  constructor(private readonly patients: PatientRegistryService) {}

  @Roles('admin')
  @Post()
  @ApiOperation({ summary: 'Register a patient in a care team (admin). INS checked (format and key); 409 if already registered.' })
  @ApiCreatedResponse({ type: PatientView })
  create(@CurrentUser() principal: Principal, @Body() body: CreatePatientDto): Promise<PatientView> {
    return this.patients.create(principal, body);
  }

  @Get()
  @ApiOperation({ summary: "Patients of the caller's care teams (admin: every patient, registry fields only)" })
  @ApiOkResponse({ type: [PatientView] })
  list(@CurrentUser() principal: Principal): Promise<PatientView[]> {
    return this.patients.list(principal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One patient with its devices; 404 outside your care teams (audited read)' })
  @ApiOkResponse({ type: PatientView })
  @ApiNotFoundResponse({ description: 'no such patient, or not in your care teams (same answer)' })
  get(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<PatientView> {
    return this.patients.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      "Change a patient (CONTRACT §8). Admin: identity, displayName, careTeamId (moves the patient), profile, timezone. A nurse or physician of the patient's team: identity only. Identity status changes are audited (GET :id/identity/history).",
  })
  @ApiOkResponse({ type: PatientView })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED (unknown field or value, malformed INS) or IDENTITY_INCOMPLETE (a status without what it requires); nothing changed' })
  @ApiForbiddenResponse({ description: 'FIELD_NOT_ALLOWED: a field only an admin may change; nothing changed' })
  @ApiNotFoundResponse({ description: 'no such patient, or not in your care teams (same answer)' })
  update(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: UpdatePatientDto): Promise<PatientView> {
    return this.patients.update(principal, id, body);
  }

  @Get(':id/identity/history')
  @ApiOperation({ summary: 'Changes of the identity status, oldest first: when, from, to, by whom (audited read)' })
  @ApiOkResponse({ type: [IdentityStatusChangeView] })
  @ApiNotFoundResponse({ description: 'no such patient, or not in your care teams (same answer)' })
  identityHistory(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<IdentityStatusChangeView[]> {
    return this.patients.identityHistory(principal, id);
  }
}
