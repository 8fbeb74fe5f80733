import { useParams } from 'react-router';

export function RunHistoryPage() {
  const { providerId } = useParams();
  return <h1>Sync history {providerId}</h1>;
}
