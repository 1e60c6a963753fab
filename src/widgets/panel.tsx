import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ConnectionStatus } from '../components/ConnectionStatus';
import { modelKitIcon } from '../icons';
import { KitlabModel } from '../model';

export const PANEL_ID = 'kitlab-panel';

/** The left-sidebar ModelKit panel. */
export class ModelKitPanel extends ReactWidget {
  constructor(
    private readonly _model: KitlabModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-kitlab-panel');
    this.title.icon = modelKitIcon;
    this.title.caption = _trans.__('ModelKit');
  }

  render(): JSX.Element {
    return (
      <div className="jp-kitlab-body">
        <header className="jp-kitlab-header">
          <h2>{this._trans.__('ModelKit')}</h2>
        </header>
        <UseSignal signal={this._model.changed}>
          {() => (
            <ConnectionStatus
              state={this._model.connection}
              trans={this._trans}
              onRetry={() => void this._model.connect()}
            />
          )}
        </UseSignal>
      </div>
    );
  }
}
