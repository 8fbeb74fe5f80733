import { ScheduleEditor } from '../../components/schedule-editor/schedule-editor';
import type { ScheduleErrors, ScheduleValue } from '../../components/schedule-editor/schedule-value';
import { useSchedulePreview } from '../../components/schedule-editor/use-schedule-preview';
import { ThresholdField } from '../../components/safety/threshold-field';
import { WizardFooter } from './wizard-footer';
import { StepHeading } from './wizard-steps';

interface ScheduleStepProps {
  schedule: ScheduleValue;
  onScheduleChange: (value: ScheduleValue) => void;
  threshold: string;
  onThresholdChange: (value: string) => void;
  errors: ScheduleErrors & { threshold?: string };
  onBack: () => void;
  onNext: () => void;
  onCancel: () => void;
}

export function ScheduleStep(props: ScheduleStepProps) {
  const preview = useSchedulePreview(props.schedule);
  const invalid =
    props.schedule.schedule !== null &&
    (preview.errors.schedule !== undefined || preview.errors.timezone !== undefined);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (invalid) {
          event.currentTarget.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
          return;
        }
        props.onNext();
      }}
    >
      <StepHeading index={3} focusOnMount />
      <div className="stack">
        <ScheduleEditor
          value={props.schedule}
          onChange={props.onScheduleChange}
          errors={props.errors}
          headingLevel={4}
        />
        <ThresholdField
          value={props.threshold}
          onChange={props.onThresholdChange}
          error={props.errors.threshold}
        />
      </div>
      <WizardFooter onCancel={props.onCancel} onBack={props.onBack} primaryLabel="Next" />
    </form>
  );
}
