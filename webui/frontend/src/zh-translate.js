// The `translate` service for bpmn-js / dmn-js (their documented i18n hook: a module that provides
// `translate` in `additionalModules`). Process owners are Chinese users, so the editors' own UI text is shown
// in Simplified Chinese; an unknown template falls back to the library's English rather than failing.
import { ZH_BPMN, ZH_TYPE, ZH_TYPE_PREFIX } from './zh-translations';
import { ZH_DMN } from './zh-translations-dmn';

const NON_INTERRUPTING = ' (Non Interrupting)';

// The properties panel header shows the element type in Title Case, e.g. "Timer Start Event (Non Interrupting)".
function typeLabel(template) {
  let text = template;
  let suffix = '';
  if (text.endsWith(NON_INTERRUPTING)) {
    text = text.slice(0, -NON_INTERRUPTING.length);
    suffix = '（非中断）';
  }
  if (ZH_TYPE[text]) return ZH_TYPE[text] + suffix;
  // Longest prefix first ("Parallel Multiple" before "Parallel").
  const prefixes = Object.keys(ZH_TYPE_PREFIX).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    const rest = text.startsWith(prefix + ' ') ? text.slice(prefix.length + 1) : null;
    if (rest && ZH_TYPE[rest]) return ZH_TYPE_PREFIX[prefix] + ZH_TYPE[rest] + suffix;
  }
  return null;
}

function fill(template, replacements) {
  const values = replacements || {};
  return template.replace(/{([^}]+)}/g, (whole, key) => (values[key] !== undefined && values[key] !== null
    ? String(values[key]) : whole));
}

export function makeTranslate(table) {
  return function translate(template, replacements) {
    if (typeof template !== 'string') return template;
    const chinese = table[template] || typeLabel(template) || template;
    return fill(chinese, replacements);
  };
}

export const translateBpmn = makeTranslate(ZH_BPMN);
export const translateDmn = makeTranslate({ ...ZH_BPMN, ...ZH_DMN });  // DMN wording wins where both exist

export const ZhBpmnModule = { translate: ['value', translateBpmn] };
export const ZhDmnModule = { translate: ['value', translateDmn] };

// bpmn-js-properties-panel does not hand `translate` to its groups, so their "Toggle section" / "Section
// contains edits" titles would stay English. A group definition's properties reach its Group component, so a
// last provider (lowest priority: it runs after the BPMN and 专家库设置 providers) adds it to every group.
class ZhPanelGroups {
  constructor(propertiesPanel, translate) {
    propertiesPanel.registerProvider(1, this);
    this._translate = translate;
  }

  getGroups() {
    return (groups) => groups.map((group) => ({ ...group, translate: this._translate }));
  }
}
ZhPanelGroups.$inject = ['propertiesPanel', 'translate'];

export const ZhPanelGroupsModule = { __init__: ['zhPanelGroups'], zhPanelGroups: ['type', ZhPanelGroups] };
