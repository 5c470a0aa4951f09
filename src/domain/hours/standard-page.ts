import { nowOf } from '../kernel/context.ts';
import { ok, roleRefusal, type Actor, type HoursOutcome, type KeylessContext } from './context.ts';
import { canReadStandard } from './permissions.ts';
import { readPolicy, type HoursPolicy } from './policy.ts';
import { isTopOffice, listVersions, typesOfVersion, versionInForce, type ServiceType, type StandardVersion } from './standard.ts';
import { shanghaiDateOf } from './time.ts';

/** What the standard's page shows: the version in force, those to come, the history, the policy, and whether the actor may change them. */
export interface StandardPage {
  today: string;
  current: StandardVersion | undefined;
  types: ServiceType[];
  upcoming: { version: StandardVersion; types: ServiceType[] }[];
  versions: StandardVersion[];
  /** The latest version's types: the rows a new version starts from. */
  latestTypes: ServiceType[];
  top: boolean;
  policy: HoursPolicy;
}

/** The standard as the actor may read it; the 403 page for an account with none of the roles that read it. */
export function standardPage(context: KeylessContext, actor: Actor): HoursOutcome<StandardPage> {
  const refused = roleRefusal(actor, canReadStandard);
  if (refused) return refused;
  const today = shanghaiDateOf(nowOf(context));
  const current = versionInForce(context, today);
  const versions = listVersions(context);
  const upcoming = versions.filter((version) => version.effectiveDate > today).map((version) => ({ version, types: typesOfVersion(context, version.id) }));
  const latest = versions[0];
  return ok({
    today, current, types: current ? typesOfVersion(context, current.id) : [], upcoming, versions,
    latestTypes: latest ? typesOfVersion(context, latest.id) : [], top: isTopOffice(context, actor), policy: readPolicy(context),
  });
}
