// Bundle entry for the process owners' editor (built by .ci/setup with esbuild into build/):
// bpmn-js Modeler + properties panel + the spiffworkflow moddle extension and "专家库设置" group, both editors
// speaking Chinese through their `translate` service (zh-translate.js).
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffModdle from './spiffworkflow-moddle.json';
import SpiffPropertiesProvider from './spiff-properties';
import { ZhBpmnModule, ZhDmnModule, ZhPanelGroupsModule } from './zh-translate';

const SpiffModule = {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider]
};

function createModeler(container, propertiesParent) {
  return new Modeler({
    container,
    propertiesPanel: { parent: propertiesParent,
      layout: { groups: { general: { open: true }, expertpool: { open: true } } } },
    additionalModules: [ZhBpmnModule, BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SpiffModule,
      ZhPanelGroupsModule],
    moddleExtensions: { spiffworkflow: spiffModdle }
  });
}

// dmn-js (its own prebuilt file, global DmnJS) hands each view only that view's options: dmn-js's Manager
// drops `common.additionalModules`, so the translate module is given to every view by its id.
function createDmnModeler(container) {
  const zh = { additionalModules: [ZhDmnModule] };
  return new window.DmnJS({ container, drd: zh, decisionTable: zh, literalExpression: zh, boxedExpression: zh });
}

window.WorkbenchEditor = { createModeler, createDmnModeler, spiffModdle };
