import { LabIcon } from '@jupyterlab/ui-components';

// A package box; `jp-icon3` makes it follow the light/dark theme like JupyterLab's own icons.
const modelKitSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2Zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2ZM5 9.1l6 3v7.6l-6-3V9.1Zm8 10.6v-7.6l6-3v7.6l-6 3Z"/>
  </g>
</svg>`;

export const modelKitIcon = new LabIcon({
  name: 'kitlab:modelkit',
  svgstr: modelKitSvg
});
