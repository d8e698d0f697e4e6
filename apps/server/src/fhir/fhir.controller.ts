import { Controller, Get, Header, Inject, Param, Query, Req, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Principal } from '../auth/principal.js';
import { CurrentUser, Public, Roles } from '../auth/decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { FhirExceptionFilter } from './fhir-exception.filter.js';
import { capabilityStatement, FHIR_JSON, type Resource } from './fhir-resources.js';
import { parseObservationSearch } from './fhir-search.js';
import { FhirService, type RequestUrls } from './fhir.service.js';

const CONTENT_TYPE = `${FHIR_JSON}; charset=utf-8`;

/**
 * Absolute links from PUBLIC_BASE_URL (required in production: common/http-security.ts), never
 * from the Host header a client writes; without it (demo, development) from the request as before.
 */
function urlsOf(req: Request, publicBaseUrl: string | undefined): RequestUrls {
  const base = publicBaseUrl ?? `${req.protocol}://${req.get('host')}`;
  return { base, self: `${base}${req.originalUrl}` };
}

/** FHIR R4 read-only export (issue 5): same access rules as REST, errors as OperationOutcome. */
@ApiTags('fhir')
@ApiBearerAuth()
@Roles('physician', 'nurse')
@UseFilters(FhirExceptionFilter)
@Controller('fhir')
export class FhirController {
  private readonly publicBaseUrl: string | undefined;

  constructor(
    private readonly fhir: FhirService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publicBaseUrl = config.exposure.publicBaseUrl;
  }

  @Public()
  @Get('metadata')
  @Header('Content-Type', CONTENT_TYPE)
  @ApiOperation({ summary: 'CapabilityStatement (public)' })
  metadata(@Req() req: Request): Resource {
    return capabilityStatement(urlsOf(req, this.publicBaseUrl).base);
  }

  @Get('Observation')
  @Header('Content-Type', CONTENT_TYPE)
  @ApiOperation({ summary: 'Search a patient\'s observations: searchset Bundle, paged with next links' })
  @ApiQuery({ name: 'patient', required: true, type: String, description: '<id> or Patient/<id>' })
  @ApiQuery({ name: 'code', required: false, type: String, description: 'token(s): system|code, comma = OR (e.g. http://loinc.org|59408-5)' })
  @ApiQuery({ name: 'date', required: false, type: String, isArray: true, description: 'eq|ge|gt|le|lt + date or dateTime; repeat to AND' })
  @ApiQuery({ name: '_count', required: false, type: Number, description: 'page size, default 100, max 1000' })
  @ApiQuery({ name: '_cursor', required: false, type: String, description: 'from the next link' })
  @ApiQuery({ name: 'bucket', required: false, enum: ['1m', '5m', '15m', '1h', '6h', '1d'] })
  searchObservations(@Query() query: Record<string, string | string[]>, @Req() req: Request, @CurrentUser() principal: Principal): Promise<Resource> {
    return this.fhir.searchObservations(principal, parseObservationSearch(query), urlsOf(req, this.publicBaseUrl), new Date());
  }

  @Get('Patient/:id')
  @Header('Content-Type', CONTENT_TYPE)
  readPatient(@Param('id') id: string, @Req() req: Request, @CurrentUser() principal: Principal): Promise<Resource> {
    return this.fhir.readPatient(principal, id, urlsOf(req, this.publicBaseUrl));
  }

  @Get('Device/:id')
  @Header('Content-Type', CONTENT_TYPE)
  readDevice(@Param('id') id: string, @Req() req: Request, @CurrentUser() principal: Principal): Promise<Resource> {
    return this.fhir.readDevice(principal, id, urlsOf(req, this.publicBaseUrl));
  }
}
