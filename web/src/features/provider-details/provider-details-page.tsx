import { useParams } from 'react-router';

export function ProviderDetailsPage() {
  const { providerId } = useParams();
  return <h1>Integration {providerId}</h1>;
}
