/* Read-only diagrams (bpmn-js NavigatedViewer from /vendor): instance state, heat counts, diff marks. */
(function () {
  'use strict';

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function open(containerId, xml) {
    var container = document.getElementById(containerId);
    var viewer = new BpmnJS({ container: container });
    if (!xml) {
      container.textContent = '无可显示的流程图';
      return Promise.resolve(null);
    }
    return viewer.importXML(xml).then(function () {
      viewer.get('canvas').zoom('fit-viewport');
      container.dataset.ready = '1';
      return viewer;
    }).catch(function (err) {
      container.textContent = '流程图无法显示：' + err.message;
      return null;
    });
  }

  function mark(viewer, ids, cls) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    (ids || []).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, cls);
    });
  }

  function counts(viewer, heat) {
    var overlays = viewer.get('overlays');
    var registry = viewer.get('elementRegistry');
    Object.keys(heat || {}).forEach(function (id) {
      if (!registry.get(id)) return;
      var badge = document.createElement('div');
      badge.className = 'wb-count';
      badge.textContent = heat[id];
      badge.title = '进行中的待办：' + heat[id];
      badge.dataset.elementId = id;
      overlays.add(id, 'heat', { position: { top: -10, right: 10 }, html: badge });
    });
  }

  window.WorkbenchViewer = {
    heat: function (containerId, dataId) {
      var d = data(dataId);
      return open(containerId, d.xml).then(function (viewer) {
        if (viewer) counts(viewer, d.heat);
        return viewer;
      });
    },
    instance: function (containerId, dataId) {
      var d = data(dataId);
      return open(containerId, d.xml).then(function (viewer) {
        if (!viewer) return null;
        mark(viewer, d.marks.completed, 'wb-completed');
        mark(viewer, d.marks.active, 'wb-active');
        mark(viewer, d.marks.waiting, 'wb-waiting');
        return viewer;
      });
    },
    diff: function (oldId, newId, dataId) {
      var d = data(dataId);
      open(oldId, d.old).then(function (viewer) {
        if (viewer) { mark(viewer, d.marks.removed, 'wb-removed'); mark(viewer, d.marks.changed, 'wb-changed'); }
      });
      open(newId, d.new).then(function (viewer) {
        if (viewer) { mark(viewer, d.marks.added, 'wb-added'); mark(viewer, d.marks.changed, 'wb-changed'); }
      });
    }
  };
})();
