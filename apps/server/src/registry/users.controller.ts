import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { CreateUserDto, UpdateUserDto } from './registry.dto.js';
import { MeView, UserView } from './registry.views.js';
import { UserAdminService } from './user-admin.service.js';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('api')
export class UsersController {
  constructor(private readonly users: UserAdminService) {}

  @Get('me')
  @ApiOperation({ summary: 'The caller: id, username, role and current care teams (any role)' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentUser() principal: Principal): MeView {
    return { id: principal.userId, username: principal.username, role: principal.role, careTeamIds: principal.careTeamIds };
  }

  @Roles('admin')
  @Post('users')
  @ApiOperation({ summary: 'Create a professional account (admin). 409 CONFLICT on a taken username.' })
  @ApiCreatedResponse({ type: UserView })
  create(@CurrentUser() principal: Principal, @Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(principal, body);
  }

  @Roles('admin')
  @Get('users')
  @ApiOperation({ summary: 'List accounts (admin)' })
  @ApiOkResponse({ type: [UserView] })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Roles('admin')
  @Patch('users/:id')
  @ApiOperation({ summary: 'Activate/deactivate an account or replace its care teams (admin)' })
  @ApiOkResponse({ type: UserView })
  update(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return this.users.update(principal, id, body);
  }
}
