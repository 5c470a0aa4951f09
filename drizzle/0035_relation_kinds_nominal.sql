-- Godparent and sworn kin (干女儿, 干爹, 义父, 干姐妹...) are not relatives in law: never spouse or lineal,
-- whatever other words the relation holds. Migration 0030 read such rows by their other words (干女儿 by 女儿:
-- parent_child), so a gift rule limited to spouse and lineal relatives would have let them through. They become
-- 'other', each with an audit entry (no actor: the migration) that names the old kind, for the office to review.
INSERT INTO audit_log (at_ms, actor_user_id, action, object_type, object_id, region_code, detail)
  SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), NULL, 'relatives.kind_reclassified', 'member', CAST(r.member_id AS TEXT), m.village_code,
    json_object('relativeMemberId', r.relative_member_id, 'relation', r.relation, 'from', r.kind, 'to', 'other')
  FROM member_relatives r LEFT JOIN members m ON m.id = r.member_id
  WHERE r.kind <> 'other' AND (r.relation LIKE '%干%' OR r.relation LIKE '%义%')
  ORDER BY r.id;
--> statement-breakpoint
UPDATE member_relatives SET kind = 'other' WHERE kind <> 'other' AND (relation LIKE '%干%' OR relation LIKE '%义%');
