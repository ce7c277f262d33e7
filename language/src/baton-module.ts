import type { Module } from 'langium';
import { inject } from 'langium';
import {
  createDefaultModule,
  createDefaultSharedModule,
  type DefaultSharedModuleContext,
  type LangiumServices,
  type LangiumSharedServices,
  type PartialLangiumServices,
} from 'langium/lsp';
import { BatonGeneratedModule, BatonGeneratedSharedModule } from './generated/module.js';
import { BatonTokenBuilder } from './baton-token-builder.js';
import { BatonValueConverter } from './baton-value-converter.js';

/** Services Baton adds to Langium's. Checker and IR services are registered here as they are written. */
export type BatonAddedServices = {
  // validation, IR builder, … are added by their own modules below
};

/** All services of the Baton language. */
export type BatonServices = LangiumServices & BatonAddedServices;

/** The dependency-injection module wiring Baton's own services over Langium's defaults. */
export const BatonModule: Module<BatonServices, PartialLangiumServices & BatonAddedServices> = {
  parser: {
    TokenBuilder: () => new BatonTokenBuilder(),
    ValueConverter: () => new BatonValueConverter(),
  },
};

/**
 * Creates the shared and the Baton language services.
 * @param context `fileSystemProvider` (e.g. `NodeFileSystem` from `langium/node`) and, in the language
 *   server, `connection`.
 */
export function createBatonServices(context: DefaultSharedModuleContext): {
  shared: LangiumSharedServices;
  Baton: BatonServices;
} {
  const shared = inject(createDefaultSharedModule(context), BatonGeneratedSharedModule);
  const Baton = inject(createDefaultModule({ shared }), BatonGeneratedModule, BatonModule);
  shared.ServiceRegistry.register(Baton);
  return { shared, Baton };
}
