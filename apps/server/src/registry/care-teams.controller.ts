import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { CareTeamService } from './care-team.service.js';
import { CreateCareTeamDto } from './registry.dto.js';
import { CareTeamView } from './registry.views.js';

@ApiTags('registry')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/care-teams')
export class CareTeamsController {
  constructor(private readonly teams: CareTeamService) {}

  @Post()
  @ApiOperation({ summary: 'Create a care team (admin). 409 CONFLICT if the name is taken.' })
  @ApiCreatedResponse({ type: CareTeamView })
  create(@CurrentUser() principal: Principal, @Body() body: CreateCareTeamDto): Promise<CareTeamView> {
    return this.teams.create(principal, body.name);
  }

  @Get()
  @ApiOperation({ summary: 'List care teams (admin)' })
  @ApiOkResponse({ type: [CareTeamView] })
  list(): Promise<CareTeamView[]> {
    return this.teams.list();
  }
}
