// Calico label selectors for peer selection. The parser lives in config/ (resources are validated
// where they are read, and config imports nothing of ours); peers/ uses it through this module.
export { parseSelector, Selector, SelectorError, type Labels, type SelectorNode } from '../config/selector.js';
