import { useEffect, useRef, type ReactNode } from 'react';

export const STEPS = [
  'Integration type',
  'Connection details',
  'Test connection',
  'Schedule',
  'Review',
] as const;
export type StepIndex = 0 | 1 | 2 | 3 | 4;

/** Where the admin is in the wizard: read as a list, the current step marked as such. */
export function StepIndicator({ current }: { current: StepIndex }) {
  return (
    <ol className="steps" aria-label="Steps">
      {STEPS.map((label, index) => (
        <li
          key={label}
          className={`steps__item${index === current ? ' steps__item--current' : ''}${index < current ? ' steps__item--done' : ''}`}
          {...(index === current ? { 'aria-current': 'step' as const } : {})}
        >
          <span className="steps__number" aria-hidden="true">
            {index < current ? '✓' : index + 1}
          </span>
          <span className="steps__label">
            {label}
            {index < current ? <span className="visually-hidden"> (done)</span> : null}
          </span>
        </li>
      ))}
    </ol>
  );
}

/**
 * A step's heading. Moving to a step puts the focus on its heading, so keyboard and screen
 * reader users land at the top of the new step (on opening, the dialog's own focus stands).
 */
export function StepHeading({
  index,
  focusOnMount,
  children,
}: {
  index: StepIndex;
  focusOnMount: boolean;
  children?: ReactNode;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnMount) ref.current?.focus();
  }, [focusOnMount, index]);
  return (
    <h3 ref={ref} tabIndex={-1} className="step-heading">
      <span className="step-heading__count">
        Step {index + 1} of {STEPS.length}:
      </span>{' '}
      {children ?? STEPS[index]}
    </h3>
  );
}
