/**
 * Partner sites: registration and details (site-core.ts), catalogue, stock and
 * the public list (site-catalogue.ts). Other modules import these names from here.
 */
export { siteKinds, type SiteKind, canManageSites, canKeepCatalogue, type Site, type SiteItem, findSite, type NewSite, siteKeyScope, stockKeyScope, registerSite, addClerk, removeClerk, type SiteChange, updateSite, setSiteActive, clerksOf } from './site-core.ts';
export { type ItemInput, addItem, updateItem, changeStock, itemsOf, movementsOf, type PublicSite, siteRegions, publicSites } from './site-catalogue.ts';
