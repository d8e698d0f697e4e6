import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { NightDto, NightsQueryDto, TrendBucketDto, TrendsQueryDto } from './clinical.dto.js';
import { NightsService } from './nights.service.js';
import { TrendsService } from './trends.service.js';
import type { TrendBucketView } from './trends.repository.js';

@ApiTags('clinical')
@ApiBearerAuth()
@Roles('physician', 'nurse')
@Controller('api/patients/:id')
export class ClinicalController {
  constructor(
    private readonly trends: TrendsService,
    private readonly nights: NightsService,
  ) {}

  @Get('trends')
  @ApiOperation({
    summary: 'min / avg / max / count of one metric per time bucket',
    description:
      'Buckets are aligned on UTC (1d: UTC midnight); every non-empty bucket overlapping [from, to) is returned whole, oldest first. ' +
      'At most 10,000 buckets, and at most 7 days for buckets under an hour; otherwise 400 RANGE_TOO_LARGE. Samples with signalOk=false are excluded.',
  })
  @ApiOkResponse({ type: [TrendBucketDto] })
  getTrends(@Param('id') id: string, @Query() q: TrendsQueryDto, @CurrentUser() principal: Principal): Promise<TrendBucketView[]> {
    return this.trends.read(principal, id, { metric: q.metric, bucket: q.bucket, from: new Date(q.from), to: new Date(q.to) });
  }

  @Get('nights')
  @ApiOperation({
    summary: 'one row per night: ventilation session summary and oximetry (SpO2 mean/min, T90, ODI 3 %, pulse mean)',
    description:
      'The `days` nights up to `until` (default: the night that started yesterday evening, patient timezone), oldest first; windows from the ventilation sessions, or 20:00–08:00 local. At most 92 nights (RANGE_TOO_LARGE).',
  })
  @ApiOkResponse({ type: [NightDto] })
  getNights(@Param('id') id: string, @Query() q: NightsQueryDto, @CurrentUser() principal: Principal): Promise<NightDto[]> {
    return this.nights.nightsOf(principal, id, { days: q.days ?? 30, until: q.until }, new Date());
  }
}
