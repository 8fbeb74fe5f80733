import type { ProviderTypeInfo } from '../../api/types';
import { formErrorsOf } from '../../components/config-form/config-errors';
import { ConfigFields } from '../../components/config-form/config-fields';
import { asSchema, type FormValues } from '../../components/config-form/json-schema';
import { Field } from '../../components/field';
import { ErrorNotice } from '../../components/notices';
import { WizardFooter } from './wizard-footer';
import { StepHeading } from './wizard-steps';

interface CredentialsStepProps {
  type: ProviderTypeInfo;
  name: string;
  values: FormValues;
  onNameChange: (name: string) => void;
  onValueChange: (path: string, value: string | boolean) => void;
  saving: boolean;
  error: unknown;
  onBack: () => void;
  onNext: () => void;
  onCancel: () => void;
}

export function CredentialsStep(props: CredentialsStepProps) {
  const errors = formErrorsOf(props.error);
  const nameError =
    errors.other.name ?? (props.name.trim() === '' && props.error !== null ? 'Enter a name.' : undefined);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        props.onNext();
      }}
    >
      <StepHeading index={1} focusOnMount>
        {props.type.displayName} connection details
      </StepHeading>
      <p className="muted">
        Saving these details stores the integration, disabled, so that its connection can be tested. Nothing
        syncs until you finish; cancelling removes it.
      </p>
      <div className="stack">
        <Field
          label="Name"
          hint="How this integration is listed, e.g. “District SIS”."
          error={nameError}
          required
        >
          {(control) => (
            <input
              {...control}
              className="input"
              value={props.name}
              maxLength={200}
              autoComplete="off"
              onChange={(event) => props.onNameChange(event.target.value)}
            />
          )}
        </Field>
        <ConfigFields
          schema={asSchema(props.type.configSchema)}
          values={props.values}
          onChange={props.onValueChange}
          errors={errors.config}
        />
        {props.error === null ? null : (
          <ErrorNotice error={props.error} title="The details could not be saved" />
        )}
      </div>
      <WizardFooter
        onCancel={props.onCancel}
        onBack={props.onBack}
        primaryLabel="Next"
        pending={props.saving}
      />
    </form>
  );
}
