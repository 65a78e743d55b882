import { asc, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db';
import {
  type Component,
  type ComponentStatus,
  componentGroups,
  components,
  type Incident,
  type IncidentUpdate,
  incidentComponents,
  incidentUpdates,
} from '../db/schema';

export interface AffectedComponent {
  code: string;
  name: string;
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
}

/** An incident with what its JSON needs: updates newest first, each with its affected rows. */
export interface IncidentDetail {
  incident: Incident;
  updates: { update: IncidentUpdate; affected: AffectedComponent[] }[];
  /** The distinct components across all of its incident_components rows, current state. */
  components: Component[];
}

/** Loads the details of several incidents in three reads, whatever their number. */
export async function loadIncidentDetails(
  db: Database,
  list: readonly Incident[],
): Promise<IncidentDetail[]> {
  if (list.length === 0) return [];
  const ids = list.map((incident) => incident.id);
  const [updates, affected] = await Promise.all([
    db
      .select()
      .from(incidentUpdates)
      .where(inArray(incidentUpdates.incidentId, ids))
      .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt)),
    db
      .select({
        row: incidentComponents,
        component: components,
        groupName: componentGroups.name,
      })
      .from(incidentComponents)
      .innerJoin(components, eq(components.id, incidentComponents.componentId))
      .leftJoin(componentGroups, eq(componentGroups.id, components.groupId))
      .where(inArray(incidentComponents.incidentId, ids))
      .orderBy(asc(incidentComponents.createdAt), asc(components.position)),
  ]);
  return list.map((incident) => {
    const mine = affected.filter((a) => a.row.incidentId === incident.id);
    const distinct = new Map<string, Component>();
    for (const a of mine) distinct.set(a.component.id, a.component);
    return {
      incident,
      updates: updates
        .filter((update) => update.incidentId === incident.id)
        .map((update) => ({
          update,
          affected: mine
            .filter((a) => a.row.incidentUpdateId === update.id)
            .map((a) => ({
              code: a.component.id,
              // HUOBI names a grouped component "Group - Component" (spec §1.3).
              name: a.groupName ? `${a.groupName} - ${a.component.name}` : a.component.name,
              oldStatus: a.row.oldStatus ?? 'operational',
              newStatus: a.row.newStatus ?? 'operational',
            })),
        })),
      components: [...distinct.values()],
    };
  });
}
