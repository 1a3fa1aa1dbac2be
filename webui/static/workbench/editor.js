/* The process owners' editor page: bpmn-js modeler + properties panel (our bundle), dmn-js for DMN files.
   Saving posts the exported XML through a normal CSRF-protected form. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('editor-data').textContent);
  window.WORKBENCH_CONFIG = data.options;
  var modeler = WorkbenchEditor.createModeler(document.getElementById('modeler'), document.getElementById('properties'));
  var dirty = false;

  function markDirty() {
    dirty = true;
    var mark = document.getElementById('dirty-mark');
    if (mark) mark.hidden = false;
  }

  modeler.importXML(data.xml).then(function (result) {
    var canvas = modeler.get('canvas');
    canvas.zoom('fit-viewport');
    if (data.select) {
      var element = modeler.get('elementRegistry').get(data.select);
      if (element) {
        modeler.get('selection').select(element);
        canvas.addMarker(element, 'wb-problem');
      }
    }
    modeler.on('commandStack.changed', markDirty);
    document.getElementById('modeler').dataset.ready = '1';
    if (result.warnings.length) console.warn('import warnings', result.warnings);
  }).catch(function (err) {
    document.getElementById('modeler').textContent = '无法打开该 BPMN：' + err.message;
  });

  var save = document.getElementById('save-draft');
  if (save) {
    save.addEventListener('click', function () {
      modeler.saveXML({ format: true }).then(function (out) {
        document.getElementById('bpmn-xml').value = out.xml;
        dirty = false;
        document.getElementById('save-form').submit();
      });
    });
  }
  var deploy = document.getElementById('deploy-form');
  if (deploy) {
    deploy.addEventListener('submit', function (event) {
      if (dirty) {
        event.preventDefault();
        alert('有未保存的修改，请先保存草稿再部署。');
      }
    });
  }
  window.addEventListener('beforeunload', function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ''; }
  });

  // DMN files: one dmn-js modeler, reopened for the chosen file.
  var dmn = null;
  function openDmn(name) {
    var canvas = document.getElementById('dmn-canvas');
    canvas.hidden = false;
    document.getElementById('dmn-form').hidden = false;
    document.getElementById('dmn-name').value = name;
    if (!dmn) dmn = WorkbenchEditor.createDmnModeler(canvas);
    dmn.importXML(data.dmn[name]).then(function () {
      var table = dmn.getViews().find(function (v) { return v.type === 'decisionTable'; });
      if (table) return dmn.open(table);
      return null;
    }).catch(function (err) { canvas.textContent = '无法打开该 DMN：' + err.message; });
  }
  Array.prototype.forEach.call(document.querySelectorAll('.dmn-open'), function (button) {
    button.addEventListener('click', function () { openDmn(button.dataset.name); });
  });
  var dmnSave = document.getElementById('dmn-save');
  if (dmnSave) {
    dmnSave.addEventListener('click', function () {
      dmn.saveXML({ format: true }).then(function (out) {
        document.getElementById('dmn-xml').value = out.xml;
        dirty = false;
        document.getElementById('dmn-form').submit();
      });
    });
  }
  window.WorkbenchPage = { modeler: modeler, dmn: function () { return dmn; } };
})();
