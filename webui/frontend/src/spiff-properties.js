// Properties-panel group "专家库设置": edits the spiffworkflow extensions this product runs
// (user task formKey / assignee / dueDays, a new process's start roles + start form, service task
// operator + parameters, DMN decision id, gateway conditions, scripts). Everything else (names, lanes,
// timers) is the standard bpmn group.
import { h } from '@bpmn-io/properties-panel/preact';
import {
  SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const CONFIG = () => window.WORKBENCH_CONFIG || { forms: [], operators: [] };

function extensionsOf(bo, type) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values').filter((v) => is(v, type)) : [];
}

// Commands that make sure bo.extensionElements contains one element of `type`; returns [element, commands].
function ensureExtension(element, bo, type, attrs, factory) {
  const commands = [];
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = factory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  let found = ext.get('values').find((v) => is(v, type));
  if (!found) {
    found = factory.create(type, attrs);
    found.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: ext, properties: { values: [...ext.get('values'), found] } } });
  }
  return [found, commands];
}

function run(injector, commands) {
  if (commands.length) injector.get('commandStack').execute('properties-panel.multi-command-executor', commands);
}

function propertyValue(element, name) {
  const props = extensionsOf(getBusinessObject(element), 'spiffworkflow:Properties')[0];
  const prop = props && props.get('properties').find((p) => p.name === name);
  return (prop && prop.value) || '';
}

function setProperty(injector, element, name, value) {
  const bo = getBusinessObject(element);
  const factory = injector.get('bpmnFactory');
  const [props, commands] = ensureExtension(element, bo, 'spiffworkflow:Properties', { properties: [] }, factory);
  const list = props.get('properties');
  const prop = list.find((p) => p.name === name);
  if (!value) {
    if (prop) commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: props, properties: { properties: list.filter((p) => p !== prop) } } });
  } else if (prop) {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: prop, properties: { value } } });
  } else {
    const created = factory.create('spiffworkflow:Property', { name, value });
    created.$parent = props;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: props, properties: { properties: [...list, created] } } });
  }
  run(injector, commands);
}

function PropertyEntry({ element, id, name, label, description, options }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const common = { element, id, label, description,
    getValue: () => propertyValue(element, name),
    setValue: (value) => setProperty(injector, element, name, value) };
  if (options) return h(SelectEntry, { ...common, getOptions: () => options() });
  return h(TextFieldEntry, { ...common, debounce });
}

function operatorOf(element) {
  return extensionsOf(getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator')[0];
}

function setOperator(injector, element, values) {
  const factory = injector.get('bpmnFactory');
  const [op, commands] = ensureExtension(element, getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator',
    {}, factory);
  commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: op, properties: values } });
  run(injector, commands);
}

function paramsText(element) {
  const op = operatorOf(element);
  const list = op && op.get('parameterList') ? op.get('parameterList').get('parameters') : [];
  return list.map((p) => `${p.id}=${p.value || ''}`).join('\n');
}

function setParams(injector, element, text) {
  const factory = injector.get('bpmnFactory');
  const params = factory.create('spiffworkflow:Parameters', { parameters: [] });
  const items = (text || '').split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    const p = factory.create('spiffworkflow:Parameter', at > 0
      ? { id: line.slice(0, at).trim(), type: 'any', value: line.slice(at + 1).trim() }
      : { id: line, type: 'any', value: line });
    p.$parent = params;
    return p;
  });
  params.set('parameters', items);
  setOperator(injector, element, { parameterList: params });
}

function OperatorEntry({ element, id }) {
  const injector = useService('injector');
  return h(SelectEntry, { element, id, label: '宿主函数（允许清单）',
    getValue: () => (operatorOf(element) && operatorOf(element).id) || '',
    setValue: (value) => setOperator(injector, element, { id: value }),
    getOptions: () => [{ value: '', label: '— 请选择 —' }, ...CONFIG().operators.map((o) => ({ value: o, label: o }))] });
}

function ResultEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, { element, id, label: '结果变量', debounce,
    getValue: () => (operatorOf(element) && operatorOf(element).resultVariable) || '',
    setValue: (value) => setOperator(injector, element, { resultVariable: value }) });
}

function ParamsEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const translate = useService('translate');  // the text area's own pop-up button title
  return h(TextAreaEntry, { element, id, label: '参数（每行：参数名=表达式）', debounce, translate, monospace: true, rows: 4,
    getValue: () => paramsText(element), setValue: (value) => setParams(injector, element, value) });
}

function BodyEntry({ element, id, label, type }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const current = () => extensionsOf(getBusinessObject(element), type)[0];
  return h(TextFieldEntry, { element, id, label, debounce,
    getValue: () => (current() && current().value) || '',
    setValue: (value) => {
      const [found, commands] = ensureExtension(element, getBusinessObject(element), type, {},
        injector.get('bpmnFactory'));
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: found, properties: { value } } });
      run(injector, commands);
    } });
}

function ConditionEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const translate = useService('translate');
  return h(TextAreaEntry, { element, id, label: '条件表达式（Python，读取任务数据）', debounce, translate, monospace: true,
    rows: 2,
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      const expr = value ? injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value }) : undefined;
      injector.get('modeling').updateProperties(element, { conditionExpression: expr });
    } });
}

function ScriptEntry({ element, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const translate = useService('translate');
  return h(TextAreaEntry, { element, id, label: '脚本（只能读写任务数据、调用允许的函数）', debounce, translate, monospace: true,
    rows: 5,
    getValue: () => bo.script || '',
    setValue: (value) => injector.get('modeling').updateProperties(element, { scriptFormat: 'python', script: value }) });
}

// Components keep a stable identity across re-renders, so a debounced edit is never dropped.
const formOptions = () => [{ value: '', label: '— 请选择表单 —' }, ...CONFIG().forms.map((f) => ({ value: f, label: f }))];
const FormKeyEntry = (p) => h(PropertyEntry, { ...p, name: 'formKey', label: '表单（formKey）', options: formOptions });
const AssigneeEntry = (p) => h(PropertyEntry, { ...p, name: 'assignee', label: '指定办理人（任务数据变量，可空）',
  description: '为空时由泳道对应的角色办理' });
const DueDaysEntry = (p) => h(PropertyEntry, { ...p, name: 'dueDays', label: '办理期限（天）' });
const StartRolesEntry = (p) => h(PropertyEntry, { ...p, name: 'startRoles', label: '发起角色（startRoles）',
  description: '新流程必填：可发起该流程的角色（泳道表中的角色名或代码），多个用逗号或顿号分隔，如：人才开发中心、质量监督处' });
const StartFormEntry = (p) => h(PropertyEntry, { ...p, name: 'formKey', label: '发起表单（可空）', options: formOptions });
const DecisionEntry = (p) => h(BodyEntry, { ...p, label: '决策表 id（DMN）', type: 'spiffworkflow:CalledDecisionId' });

function entries(element) {
  const bo = getBusinessObject(element);
  if (is(element, 'bpmn:UserTask')) {
    return [
      { id: 'spiff-formKey', component: FormKeyEntry, isEdited: isSelectEntryEdited },
      { id: 'spiff-assignee', component: AssigneeEntry, isEdited: isTextFieldEntryEdited },
      { id: 'spiff-dueDays', component: DueDaysEntry, isEdited: isTextFieldEntryEdited }
    ];
  }
  if (is(element, 'bpmn:StartEvent') && bo.$parent && is(bo.$parent, 'bpmn:Process')) {
    return [
      { id: 'spiff-startRoles', component: StartRolesEntry, isEdited: isTextFieldEntryEdited },
      { id: 'spiff-startForm', component: StartFormEntry, isEdited: isSelectEntryEdited }
    ];
  }
  if (is(element, 'bpmn:ServiceTask')) {
    return [
      { id: 'spiff-operator', component: OperatorEntry, isEdited: isSelectEntryEdited },
      { id: 'spiff-result', component: ResultEntry, isEdited: isTextFieldEntryEdited },
      { id: 'spiff-params', component: ParamsEntry, isEdited: isTextAreaEntryEdited }
    ];
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    return [{ id: 'spiff-decision', component: DecisionEntry, isEdited: isTextFieldEntryEdited }];
  }
  if (is(element, 'bpmn:ScriptTask')) return [{ id: 'spiff-script', component: ScriptEntry, isEdited: isTextAreaEntryEdited }];
  if (is(element, 'bpmn:SequenceFlow') && bo.sourceRef && is(bo.sourceRef, 'bpmn:Gateway')) {
    return [{ id: 'spiff-condition', component: ConditionEntry, isEdited: isTextAreaEntryEdited }];
  }
  return [];
}

export default class SpiffPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const found = entries(element).map((e) => ({ ...e, element }));
      if (found.length) groups.splice(1, 0, { id: 'expertpool', label: '专家库设置', entries: found });
      return groups;
    };
  }
}
SpiffPropertiesProvider.$inject = ['propertiesPanel'];
