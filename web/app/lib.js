// The one place the app imports its library from (see web/vendor/README.md).
export {
  html, render, useState, useEffect, useRef, useCallback, useMemo,
} from '../vendor/htm-preact-standalone.module.js';
