import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PatientEntity } from '../registry/registry.entities.js';
import { PatientAccessRepository } from './patient-access.repository.js';
import { PatientAccessService } from './patient-access.service.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([PatientEntity])],
  providers: [PatientAccessRepository, PatientAccessService],
  exports: [PatientAccessService],
})
export class AccessModule {}
