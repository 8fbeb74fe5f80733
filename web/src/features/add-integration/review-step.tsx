import type { ConnectionTest, ProviderTypeInfo } from '../../api/types';
import { CheckboxField } from '../../components/field';
import { ErrorNotice } from '../../components/notices';
import type { ScheduleValue } from '../../components/schedule-editor/schedule-value';
import { useSchedulePreview } from '../../components/schedule-editor/use-schedule-preview';
import { formatRunTime } from '../../lib/format';
import { WizardFooter } from './wizard-footer';
import { StepHeading } from './wizard-steps';

interface ReviewStepProps {
  type: ProviderTypeInfo;
  name: string;
  test: ConnectionTest | undefined;
  schedule: ScheduleValue;
  threshold: string;
  enable: boolean;
  onEnableChange: (enable: boolean) => void;
  saving: boolean;
  error: unknown;
  onBack: () => void;
  onSave: () => void;
  onCancel: () => void;
}

export function ReviewStep(props: ReviewStepProps) {
  const { preview } = useSchedulePreview(props.schedule, 0);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        props.onSave();
      }}
    >
      <StepHeading index={4} focusOnMount />
      <dl className="details-list">
        <div>
          <dt>Type</dt>
          <dd>{props.type.displayName}</dd>
        </div>
        <div>
          <dt>Name</dt>
          <dd>{props.name}</dd>
        </div>
        <div>
          <dt>Connection test</dt>
          <dd>
            {props.test === undefined ? 'Not tested' : props.test.ok ? 'Succeeded' : 'Failed'}
            {props.test === undefined ? null : <span className="muted"> — {props.test.summary}</span>}
          </dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            {props.schedule.schedule === null
              ? 'No schedule: manual runs only'
              : (preview?.description ?? props.schedule.schedule)}
          </dd>
        </div>
        {props.schedule.schedule === null || preview?.nextRuns[0] === undefined ? null : (
          <div>
            <dt>First run</dt>
            <dd>{formatRunTime(preview.nextRuns[0], props.schedule.timezone)}</dd>
          </div>
        )}
        <div>
          <dt>Time zone</dt>
          <dd>{props.schedule.timezone}</dd>
        </div>
        <div>
          <dt>Hold for review above</dt>
          <dd>{props.threshold}% deactivated</dd>
        </div>
      </dl>
      <CheckboxField
        label="Enable syncing now"
        hint="Scheduled runs start only while the integration is enabled. You can also run a sync by hand from its page."
        checked={props.enable}
        onChange={props.onEnableChange}
      />
      {props.error === null ? null : (
        <ErrorNotice error={props.error} title="The integration could not be saved" />
      )}
      <WizardFooter
        onCancel={props.onCancel}
        onBack={props.onBack}
        primaryLabel="Save integration"
        pending={props.saving}
      />
    </form>
  );
}
