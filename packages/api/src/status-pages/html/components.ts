import type { StatusComponentV2 } from '@skypatch/protocol';
import { html } from 'hono/html';
import {
  type ComponentUptime,
  dayColour,
  dayOutageLines,
  formatUptimePercent,
  type UptimeDay,
} from '../../core/uptime';
import { COMPONENT_STATUS_TEXT, formatCalendarDate } from './format';

// The components list (spec §6.1 item 4, §6.2, §6.3): ul/li, groups as <details> (open when the
// group is expanded), a visually hidden "status:" before every status, and the 90-day bars of
// showcased components with every day focusable and labelled with its tooltip text.

export interface ComponentsInput {
  components: readonly StatusComponentV2[];
  uptime: ReadonlyMap<string, ComponentUptime>;
  expandedGroupIds: ReadonlySet<string>;
}

/** Everything a day's tooltip says, as one line of text: what the aria-label reads out. */
export function dayTooltip(day: UptimeDay): string {
  const lines = [formatCalendarDate(day.date), ...dayOutageLines(day)];
  if (day.related.length > 0) {
    lines.push(`Related: ${day.related.map((event) => event.name).join(', ')}`);
  }
  return lines.join('\n');
}

function renderBars(component: StatusComponentV2, uptime: ComponentUptime) {
  const percent = formatUptimePercent(uptime.percent);
  return html`<div class="uptime">
    <ol class="bars" aria-label="Uptime of ${component.name} over the past 90 days">
      ${uptime.days.map((day) => {
        const tooltip = dayTooltip(day);
        return html`<li tabindex="0" role="img" aria-label="${tooltip.replaceAll('\n', '. ')}" style="background:${dayColour(day)}"><span class="tip" aria-hidden="true">${tooltip}</span></li>`;
      })}
    </ol>
    <p class="legend"><span>90 days ago</span><span class="percent">${percent} % uptime</span><span>Today</span></p>
  </div>`;
}

function renderStatus(component: StatusComponentV2) {
  return html`<span class="component-status ${component.status}"><span class="visually-hidden">status: </span>${COMPONENT_STATUS_TEXT[component.status]}</span>`;
}

function renderName(component: StatusComponentV2) {
  return html`<span class="name"><span>${component.name}</span>${
    component.description ? html`<span class="description">${component.description}</span>` : ''
  }</span>`;
}

function renderLeaf(component: StatusComponentV2, uptime: ComponentUptime | undefined) {
  return html`<li class="component" data-component-id="${component.id}">
    <div class="row">${renderName(component)} ${renderStatus(component)}</div>
    ${component.showcase && uptime ? renderBars(component, uptime) : ''}
  </li>`;
}

/** Statuspage's "only show if degraded" components stay hidden while operational. */
const isVisible = (component: StatusComponentV2) =>
  !(component.only_show_if_degraded && component.status === 'operational');

export function renderComponents(input: ComponentsInput) {
  const byId = new Map(input.components.map((c) => [c.id, c]));
  // The flat v2 list is already in position order; top-level rows have no group_id.
  const topLevel = input.components.filter((c) => c.group_id === null && isVisible(c));
  if (topLevel.length === 0) return html``;
  return html`<section aria-labelledby="components-heading">
    <h2 id="components-heading">Components</h2>
    <ul class="components">
      ${topLevel.map((component) => {
        if (!component.group) return renderLeaf(component, input.uptime.get(component.id));
        const children = (component.components ?? [])
          .map((id) => byId.get(id))
          .filter((child) => child !== undefined)
          .filter(isVisible);
        const groupUptime = input.uptime.get(component.id);
        const count = `${children.length} ${children.length === 1 ? 'component' : 'components'}`;
        // The group's own row and bar stay visible; its children fold away under a <details>
        // toggle (open when the group is `expanded`), which needs no script.
        return html`<li class="group" data-component-id="${component.id}">
          <div class="row">${renderName(component)} ${renderStatus(component)}</div>
          ${groupUptime ? renderBars(component, groupUptime) : ''}
          <details${input.expandedGroupIds.has(component.id) ? html` open` : ''}>
            <summary><span class="visually-hidden">${component.name}: </span>${count}</summary>
            <ul>${children.map((child) => renderLeaf(child, input.uptime.get(child.id)))}</ul>
          </details>
        </li>`;
      })}
    </ul>
  </section>`;
}
