// Bundle entry for the process owners' editor (built by .ci/setup with esbuild into build/):
// bpmn-js Modeler + properties panel + the spiffworkflow moddle extension and "专家库设置" group.
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffModdle from './spiffworkflow-moddle.json';
import SpiffPropertiesProvider from './spiff-properties';

const SpiffModule = {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider]
};

function createModeler(container, propertiesParent) {
  return new Modeler({
    container,
    propertiesPanel: { parent: propertiesParent,
      layout: { groups: { general: { open: true }, expertpool: { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SpiffModule],
    moddleExtensions: { spiffworkflow: spiffModdle }
  });
}

window.WorkbenchEditor = { createModeler, spiffModdle };
