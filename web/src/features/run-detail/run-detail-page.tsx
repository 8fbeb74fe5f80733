import { useParams } from 'react-router';

export function RunDetailPage() {
  const { runId } = useParams();
  return <h1>Run {runId}</h1>;
}
