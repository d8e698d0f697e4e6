import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { PatientRegistryService } from './patient-registry.service.js';
import { CreatePatientDto } from './registry.dto.js';
import { PatientView } from './registry.views.js';

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
}
