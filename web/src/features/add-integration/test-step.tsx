import type { ConnectionTest } from '../../api/types';
import { ConnectionTestResult } from '../../components/connection-test-result';
import { ErrorNotice } from '../../components/notices';
import { WizardFooter } from './wizard-footer';
import { StepHeading } from './wizard-steps';

interface TestStepProps {
  result: ConnectionTest | undefined;
  testing: boolean;
  error: unknown;
  onTest: () => void;
  onBack: () => void;
  onNext: () => void;
  onCancel: () => void;
}

export function TestStep({ result, testing, error, onTest, onBack, onNext, onCancel }: TestStepProps) {
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onNext();
      }}
    >
      <StepHeading index={2} focusOnMount />
      <p className="muted">
        sis-sync signs in to the system with the details you gave and reads a little, changing nothing.
      </p>
      <div className="stack">
        <div>
          <button type="button" className="button" onClick={onTest} disabled={testing} aria-busy={testing}>
            {testing ? <span className="spinner" aria-hidden="true" /> : null}
            Test connection
          </button>
        </div>
        <div aria-live="polite">
          {testing ? <p className="muted">Testing the connection…</p> : null}
          {!testing && result !== undefined ? <ConnectionTestResult result={result} /> : null}
        </div>
        {error === null ? null : <ErrorNotice error={error} title="The test could not be run" />}
        {result?.ok === false ? (
          <p className="field__hint">
            You can go back and correct the details, or continue and fix the connection later: the integration
            will not sync successfully until the test passes.
          </p>
        ) : null}
      </div>
      <WizardFooter onCancel={onCancel} onBack={onBack} primaryLabel="Next" pending={testing} />
    </form>
  );
}
