import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { PatientOverviewDto } from './overview.dto.js';
import { OverviewService } from './overview.service.js';

/**
 * GET /api/patients/overview. Its module is registered before the registry's, whose
 * GET /api/patients/:id would otherwise take "overview" for a patient id (app.module.ts).
 */
@ApiTags('overview')
@ApiBearerAuth()
@Controller('api/patients/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get()
  @Roles('physician', 'nurse')
  @ApiOperation({
    summary: "the population view: one row per patient of the caller's care teams",
    description: 'Newest data, unresolved alerts, 7-night figures (adherence, leak, AHI, night SpO2), transmission check, last review. Definitions in docs/api.md.',
  })
  @ApiOkResponse({ type: [PatientOverviewDto] })
  list(@CurrentUser() principal: Principal): Promise<PatientOverviewDto[]> {
    return this.overview.overview(principal, new Date());
  }
}
