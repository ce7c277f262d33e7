export * from './build-graph.js';
export * from './mermaid.js';
export * from './dot.js';
export { clip, layoutFlowGraph, nodeSize, nodeText } from './layout.js';
export { graphShapeCss, renderSvg, type SvgOptions } from './svg.js';
export { nodeAtPosition } from './graph-lookup.js';
export { foldFlowGraph, foldRegions, type FoldedGraph, type FoldRegion } from './fold-graph.js';
export { TEXT } from './layout-options.js';
export { geometryOf, layoutKey, MAX_PANEL_NODES, panelFolds, withGeometry, type PanelFolds } from './layout-geometry.js';
