/**
 * Leveling (seed 004 [0076]-[0077], DESIGN section 12): after drives join a disk group, PSEGs move until every
 * drive's use is proportional to its capacity, within one PSEG per drive per RAID level, inside each RSS.
 *
 * <h2>Parts</h2>
 * {@link io.evasan.leveling.GroupLayout} snapshots where members sit; {@link io.evasan.leveling.ProportionalShare}
 * states the goal; {@link io.evasan.leveling.LevelingPlanner} plans moves that keep the RAID placement rules;
 * {@link io.evasan.leveling.PsegMove} executes one move through the RAID layer's
 * {@link io.evasan.raid.MemberMove} under a {@link io.evasan.leveling.Throttle};
 * {@link io.evasan.leveling.Leveler} runs the whole job in the background (pause, resume, stop, progress as
 * {@link io.evasan.leveling.api.LevelingProgress}).
 *
 * <h2>Host writes during a move</h2>
 * Writes go to both the old and the new member while a move is in flight: the RAID layer mirrors every write
 * to a row the move has already copied into the target, under that row's lock, and copies each row under the
 * same lock; the swap takes every row lock of the RStore. So when the RSD switches, the target holds every
 * write acknowledged before it.
 *
 * <h2>Why no move record is persisted</h2>
 * A move needs no {@code LevelingMoveDescriptor}: its only durable step is the RSD rewrite (generation + 1)
 * into the PSEG-table entries of the RStore's members (RsdDescriptor), and at open the newest generation of
 * each RSD wins. Before that write the target PSEG is reserved only in memory (its table entry stays empty or
 * a tombstone, so it is free after a crash); after it the new RSD names the target and the old PSEG, claimed
 * by no live RSD, is released at open. The target is forced before the rewrite, and the new RSD's entries are
 * forced before the old PSEG is released and can be reused. A crash therefore leaves each move not begun or
 * finished, with every PSEG owned by exactly one RSD or free; a new job replans from what the group holds.
 */
package io.evasan.leveling;
