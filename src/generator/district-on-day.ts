import { generateDistrict } from './generate-district.js';
import type { District } from './model.js';
import {
  DEFAULT_MUTATION_RATES,
  mutateDistrict,
  type MutationRates,
  type MutationSummary,
} from './mutate-district.js';
import { deriveSeed } from './random.js';

export interface DistrictOnDayOptions {
  students: number;
  seed: number;
  /** 0 is the district as generated; day k has had k days of changes. */
  day: number;
  /** Rates for every day; the defaults for those left out. */
  rates?: Partial<MutationRates>;
}

export interface DistrictOnDay {
  district: District;
  rates: MutationRates;
  /** One summary per day applied, day 1 first. */
  days: MutationSummary[];
}

/**
 * The district as its SIS would export it on `day`. Every day is replayed from day 0 with a seed
 * derived from `seed` and the day's number, so day k is the same whoever asks and whether or not
 * days 1..k-1 were ever written, and a user dropped on one day can reappear on a later one.
 */
export function districtOnDay(options: DistrictOnDayOptions): DistrictOnDay {
  if (!Number.isSafeInteger(options.day) || options.day < 0) {
    throw new RangeError('day must be a whole number, 0 or more');
  }
  const rates: MutationRates = { ...DEFAULT_MUTATION_RATES, ...options.rates };
  let district = generateDistrict({ students: options.students, seed: options.seed });
  const days: MutationSummary[] = [];
  for (let day = 1; day <= options.day; day++) {
    const next = mutateDistrict(district, { ...rates, seed: deriveSeed(options.seed, day) });
    district = next.district;
    days.push(next.summary);
  }
  return { district, rates, days };
}
