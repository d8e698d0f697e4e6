import { Module } from '@nestjs/common';
import { ClinicalModule } from '../clinical/clinical.module.js';
import { FhirController } from './fhir.controller.js';
import { FhirRepository } from './fhir.repository.js';
import { FhirService } from './fhir.service.js';

/** FHIR R4 export (issue 5). */
@Module({
  imports: [ClinicalModule],
  controllers: [FhirController],
  providers: [FhirRepository, FhirService],
})
export class FhirModule {}
