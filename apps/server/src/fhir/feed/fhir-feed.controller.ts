import { Body, Controller, Headers, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/decorators.js';
import { AppError } from '../../common/app-error.js';
import { FhirExceptionFilter } from '../fhir-exception.filter.js';
import { FHIR_JSON, operationOutcome } from '../fhir-resources.js';
import type { FeedBody } from './feed-body.js';
import { FeedError } from './feed-bundle.js';
import { FhirFeedService } from './fhir-feed.service.js';

const STATUS: Record<string, number> = { forbidden: 403, 'too-costly': 413 };

/**
 * `POST /fhir` (CONTRACT.md §8): a Bundle of the ANS feed (mesures-bundle-flux-alimentation).
 * Public to the global bearer guard: the route authenticates itself (device Basic or admin bearer).
 */
@ApiTags('fhir')
@UseFilters(FhirExceptionFilter)
@Controller('fhir')
export class FhirFeedController {
  constructor(private readonly feed: FhirFeedService) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Inbound feed Bundle (transaction or batch) from a device (HTTP Basic deviceId:secret) or an admin (bearer)' })
  async post(@Body() body: FeedBody, @Headers('authorization') authorization: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const sender = await this.feed.authenticate(authorization, req.ip);
    if ('refused' in body) {
      if (body.refused === 'too-large') throw new AppError('PAYLOAD_TOO_LARGE', 'the Bundle is larger than 1 MiB');
      throw new AppError('BAD_REQUEST', 'Content-Type must be application/fhir+json');
    }
    try {
      const answer = await this.feed.ingest(sender, body.text, new Date());
      res.status(answer.status).type(FHIR_JSON).send(JSON.stringify(answer.body));
    } catch (err) {
      if (!(err instanceof FeedError)) throw err;
      res.status(STATUS[err.issue] ?? 400).type(FHIR_JSON).send(JSON.stringify(operationOutcome(err.issue, err.message)));
    }
  }
}
