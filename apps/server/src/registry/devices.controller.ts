import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { DeviceRegistryService } from './device-registry.service.js';
import { CreateDeviceDto, ListDevicesQueryDto, UpdateDeviceDto } from './registry.dto.js';
import { DeviceRegisteredView, DeviceUpdatedView, DeviceView } from './registry.views.js';

@ApiTags('registry')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/devices')
export class DevicesController {
  constructor(private readonly devices: DeviceRegistryService) {}

  @Post()
  @ApiOperation({ summary: 'Register a device for a patient (admin). The MQTT secret is returned once and never again.' })
  @ApiCreatedResponse({ type: DeviceRegisteredView })
  register(@CurrentUser() principal: Principal, @Body() body: CreateDeviceDto): Promise<DeviceRegisteredView> {
    return this.devices.register(principal, body);
  }

  @Patch(':deviceId')
  @ApiOperation({
    summary:
      'Reassign a device to another patient from a given time, deactivate or reactivate it, rotate its secret (admin). The new secret is answered once.',
  })
  @ApiOkResponse({ type: DeviceUpdatedView })
  update(@CurrentUser() principal: Principal, @Param('deviceId') deviceId: string, @Body() body: UpdateDeviceDto): Promise<DeviceUpdatedView> {
    return this.devices.update(principal, deviceId, body);
  }

  @Get()
  @ApiOperation({ summary: 'Registered devices, optionally of one patient (admin). Never the secret or its hash.' })
  @ApiOkResponse({ type: [DeviceView] })
  list(@Query() query: ListDevicesQueryDto): Promise<DeviceView[]> {
    return this.devices.list(query.patientId);
  }
}
