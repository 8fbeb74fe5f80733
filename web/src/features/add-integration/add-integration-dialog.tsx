import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';

import { useApi } from '../../api/api-context';
import { isApiError } from '../../api/api-error';
import { useProviderTypes } from '../../api/hooks';
import type { Provider, ProviderType } from '../../api/types';
import {
  buildConfig,
  asSchema,
  initialValues,
  type FormValues,
} from '../../components/config-form/json-schema';
import { Dialog } from '../../components/dialog';
import { ErrorNotice, Loading } from '../../components/notices';
import { ratioOf, THRESHOLD_ERROR } from '../../components/safety/threshold-field';
import type { ScheduleErrors, ScheduleValue } from '../../components/schedule-editor/schedule-value';
import { browserTimeZone } from '../../lib/format';
import { ChooseTypeStep } from './choose-type-step';
import { CredentialsStep } from './credentials-step';
import { ReviewStep } from './review-step';
import { ScheduleStep } from './schedule-step';
import { TestStep } from './test-step';
import { useDraftProvider } from './use-draft-provider';
import { StepIndicator, type StepIndex } from './wizard-steps';

interface AddIntegrationDialogProps {
  tenantId: string;
  onClose: () => void;
  onDone: (provider: Provider) => void;
}

/**
 * Type → connection details (saved disabled) → test → schedule → review and enable. A cancelled
 * wizard deletes what it saved.
 */
export function AddIntegrationDialog({ tenantId, onClose, onDone }: AddIntegrationDialogProps) {
  const api = useApi();
  const types = useProviderTypes();
  const draft = useDraftProvider(tenantId);
  const [step, setStep] = useState<StepIndex>(0);
  const [moved, setMoved] = useState(false);
  const [providerType, setProviderType] = useState<ProviderType | null>(null);
  const [name, setName] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [schedule, setSchedule] = useState<ScheduleValue>(() => ({
    schedule: 'daily',
    timezone: browserTimeZone(),
  }));
  const [threshold, setThreshold] = useState('10');
  const [scheduleErrors, setScheduleErrors] = useState<ScheduleErrors & { threshold?: string }>({});
  const [enable, setEnable] = useState(true);

  const typeInfo = types.data?.find((t) => t.type === providerType);
  const go = (next: StepIndex) => {
    setMoved(true);
    setStep(next);
  };

  const saveDetails = useMutation({
    mutationFn: () => {
      if (typeInfo === undefined) throw new Error('Choose an integration type first.');
      return draft.save({
        providerType: typeInfo.type,
        name: name.trim(),
        config: buildConfig(asSchema(typeInfo.configSchema), values),
      });
    },
    onSuccess: () => go(2),
  });
  const test = useMutation({
    mutationFn: () => {
      if (draft.draft === null) throw new Error('Save the connection details first.');
      return api.testConnection(draft.draft.id);
    },
  });
  const finish = useMutation({
    mutationFn: () => {
      if (draft.draft === null) throw new Error('Save the connection details first.');
      const ratio = ratioOf(threshold);
      return api.updateProvider(draft.draft.id, {
        syncSchedule: schedule.schedule === null ? null : schedule.schedule.trim(),
        syncTimezone: schedule.timezone.trim(),
        enabled: enable,
        ...(ratio === undefined ? {} : { maxDeactivationRatio: ratio }),
      });
    },
    onSuccess: (provider) => {
      draft.finish(provider);
      onDone(provider);
    },
    onError: (error) => {
      if (!isApiError(error)) return;
      const fields = error.fieldErrors();
      const errors = {
        ...(fields.syncSchedule === undefined ? {} : { schedule: fields.syncSchedule }),
        ...(fields.syncTimezone === undefined ? {} : { timezone: fields.syncTimezone }),
        ...(fields.maxDeactivationRatio === undefined ? {} : { threshold: fields.maxDeactivationRatio }),
      };
      if (Object.keys(errors).length > 0) {
        setScheduleErrors(errors);
        go(3);
      }
    },
  });
  const cancel = useMutation({ mutationFn: () => draft.discard(), onSuccess: onClose });

  const busy = saveDetails.isPending || finish.isPending || cancel.isPending;
  const close = () => {
    if (!busy) cancel.mutate();
  };

  return (
    <Dialog title="Add integration" onClose={close} size="large" busy={busy}>
      <StepIndicator current={step} />
      {cancel.error === null ? null : (
        <div className="stack">
          <ErrorNotice error={cancel.error} title="The unfinished integration could not be removed" />
          <div className="button-row">
            <button type="button" className="button" onClick={() => cancel.mutate()}>
              Try again
            </button>
            <button type="button" className="button button--ghost" onClick={onClose}>
              Close anyway
            </button>
          </div>
        </div>
      )}
      {types.isPending ? (
        <Loading label="Loading integration types…" />
      ) : types.error !== null ? (
        <ErrorNotice error={types.error} title="The integration types could not be loaded" />
      ) : step === 0 || typeInfo === undefined ? (
        <ChooseTypeStep
          types={types.data}
          value={providerType}
          focusHeading={moved}
          onCancel={close}
          onNext={(type) => {
            if (type !== providerType) {
              const info = types.data.find((t) => t.type === type);
              setProviderType(type);
              setValues(initialValues(asSchema(info?.configSchema)));
              if (name.trim() === '' || types.data.some((t) => t.displayName === name)) {
                setName(info?.displayName ?? '');
              }
              saveDetails.reset();
              test.reset();
            }
            go(1);
          }}
        />
      ) : step === 1 ? (
        <CredentialsStep
          type={typeInfo}
          name={name}
          values={values}
          onNameChange={setName}
          onValueChange={(path, value) => setValues((current) => ({ ...current, [path]: value }))}
          saving={saveDetails.isPending}
          error={saveDetails.error}
          onBack={() => go(0)}
          onNext={() => saveDetails.mutate()}
          onCancel={close}
        />
      ) : step === 2 ? (
        <TestStep
          result={test.data}
          testing={test.isPending}
          error={test.error}
          onTest={() => test.mutate()}
          onBack={() => go(1)}
          onNext={() => go(3)}
          onCancel={close}
        />
      ) : step === 3 ? (
        <ScheduleStep
          schedule={schedule}
          onScheduleChange={(value) => {
            setSchedule(value);
            setScheduleErrors(({ threshold: t }) => (t === undefined ? {} : { threshold: t }));
          }}
          threshold={threshold}
          onThresholdChange={(value) => {
            setThreshold(value);
            setScheduleErrors(({ threshold: _t, ...rest }) => rest);
          }}
          errors={scheduleErrors}
          onBack={() => go(2)}
          onNext={() => {
            if (ratioOf(threshold) === undefined) {
              setScheduleErrors((e) => ({ ...e, threshold: THRESHOLD_ERROR }));
            } else go(4);
          }}
          onCancel={close}
        />
      ) : (
        <ReviewStep
          type={typeInfo}
          name={name.trim()}
          test={test.data}
          schedule={schedule}
          threshold={threshold}
          enable={enable}
          onEnableChange={setEnable}
          saving={finish.isPending}
          error={finish.error}
          onBack={() => go(3)}
          onSave={() => finish.mutate()}
          onCancel={close}
        />
      )}
    </Dialog>
  );
}
