import t from 'tap';
import { usualRecipients } from '../../../src/domain/hours/choices.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { hoursFixture } from './fixture.ts';

/** The elders a volunteer's form offers before any search (also in its offline copy, docs/OFFLINE.md). */
t.test('usual recipients: the elders of her own latest records, most recent first, each once', async (t) => {
  const f = hoursFixture();
  t.same(usualRecipients(f.context, f.volunteer), [], 'nobody before her first record');
  const log = (elderId: number, startTime: string, endTime: string) => {
    const outcome = logService(f.context, f.volunteer, f.visit({ elderId, startTime, endTime }));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  };
  log(f.elderId, '06:00', '06:30');
  log(f.elder2Id, '07:00', '07:30');
  log(f.elderId, '08:00', '08:30');
  t.same(usualRecipients(f.context, f.volunteer).map((choice) => choice.id), [f.elderId, f.elder2Id], 'latest first, each once');
  t.same(usualRecipients(f.context, f.volunteer, 1).map((choice) => choice.id), [f.elderId], 'at most the limit');
  t.same(usualRecipients(f.context, f.coordinator), [], 'a coordinator without a member record has none');
  t.same(usualRecipients(f.context, { ...f.volunteer, memberId: f.villagerMemberId }), [], 'another member sees none of her recipients');
});
