import { useId, useState } from 'react';

import type { ProviderType, ProviderTypeInfo } from '../../api/types';
import { WizardFooter } from './wizard-footer';
import { StepHeading } from './wizard-steps';

interface ChooseTypeStepProps {
  types: readonly ProviderTypeInfo[];
  value: ProviderType | null;
  focusHeading: boolean;
  onNext: (type: ProviderType) => void;
  onCancel: () => void;
}

export function ChooseTypeStep({ types, value, focusHeading, onNext, onCancel }: ChooseTypeStepProps) {
  const [chosen, setChosen] = useState<ProviderType | null>(value);
  const [error, setError] = useState<string | undefined>(undefined);
  const name = useId();
  const errorId = useId();
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (chosen === null) setError('Choose the kind of system to connect.');
        else onNext(chosen);
      }}
    >
      <StepHeading index={0} focusOnMount={focusHeading} />
      <fieldset
        className="fieldset fieldset--plain"
        {...(error === undefined ? {} : { 'aria-describedby': errorId })}
      >
        <legend className="fieldset__legend">Which system holds your rosters?</legend>
        <div className="type-cards">
          {types.map((type) => (
            <label
              key={type.type}
              className={`type-card${chosen === type.type ? ' type-card--checked' : ''}`}
            >
              <input
                type="radio"
                name={name}
                value={type.type}
                checked={chosen === type.type}
                aria-labelledby={`${name}-${type.type}-title`}
                aria-describedby={`${name}-${type.type}-description`}
                onChange={() => {
                  setChosen(type.type);
                  setError(undefined);
                }}
              />
              <span className="type-card__text">
                <span id={`${name}-${type.type}-title`} className="type-card__title">
                  {type.displayName}
                </span>
                <span id={`${name}-${type.type}-description`} className="type-card__description">
                  {type.description}
                </span>
              </span>
            </label>
          ))}
        </div>
        {error === undefined ? null : (
          <p id={errorId} className="field__error" role="alert">
            {error}
          </p>
        )}
      </fieldset>
      <WizardFooter onCancel={onCancel} primaryLabel="Next" />
    </form>
  );
}
