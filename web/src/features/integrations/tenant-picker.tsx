import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Field } from '../../components/field';

/** Platform admins reach every tenant: they name the one to look at. */
export function TenantPicker({ current }: { current: string | undefined }) {
  const navigate = useNavigate();
  const [value, setValue] = useState(current ?? '');
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <form
      className="tenant-picker"
      role="search"
      aria-label="Choose a tenant"
      onSubmit={(event) => {
        event.preventDefault();
        const tenantId = value.trim();
        if (tenantId === '') {
          setError('Enter a tenant id.');
          return;
        }
        setError(undefined);
        void navigate(`/tenants/${encodeURIComponent(tenantId)}`);
      }}
    >
      <Field label="Tenant id" error={error}>
        {(control) => (
          <input
            {...control}
            className="input"
            value={value}
            autoComplete="off"
            onChange={(event) => setValue(event.target.value)}
          />
        )}
      </Field>
      <button type="submit" className="button">
        Show integrations
      </button>
    </form>
  );
}
