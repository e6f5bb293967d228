package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.Rebuild;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rss.Rss;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Drive membership of a disk group: a new drive formatted into the smallest RSS (or a new one), and a drive
 * removed after every RStore member on it has been moved off (evacuation through the rebuilder).
 *
 * <p><b>Invariant</b>: runs under the group's admin lock, and changes the drive array, allocators and RSS
 * slots only under its allocation lock; a removed drive holds no member of a live RSD, and its RSS keeps
 * at least {@link Rss#MIN_DRIVES} drives while it holds any. The pool's drive list is rewritten
 * ({@code Owner.membershipChanged}) after each change.
 */
final class DriveMembership {
    private final DiskGroupImpl group;

    DriveMembership(DiskGroupImpl group) {
        this.group = group;
    }

    int addDrive(DriveSpec spec) {
        group.adminLock.lock();
        try {
            group.checkOpen();
            Path path = group.owner.resolve(spec.path());
            group.owner.checkNewDrive(path);
            long size = PoolImpl.validateNewDrive(path, spec.sizeBytes(), group.poolId);
            synchronized (group.allocLock) {
                Drive[] ds = group.drives;
                int index = ds.length;
                Rss target = null;
                for (Rss r : group.rssList) {
                    if (r.count() < Rss.MAX_DRIVES && (target == null || r.count() < target.count())) {
                        target = r;
                    }
                }
                if (target == null) {
                    int nid = 0;
                    for (Rss r : group.rssList) {
                        nid = Math.max(nid, r.id() + 1);
                    }
                    target = group.rss(nid, true);
                }
                int slot = target.freeSlot();
                DriveLabel l = new DriveLabel(1, group.poolId, UUID.randomUUID(), group.id, group.name, index, target.id(), slot, size,
                        DriveLabelDescriptor.psegCount(size), 0);
                Drive d = group.owner.io().drives().format(path, index, spec.sizeBytes(), l, group::driveError);
                Drive[] nds = Arrays.copyOf(ds, index + 1);
                nds[index] = d;
                group.alloc = Arrays.copyOf(group.alloc, index + 1);
                group.alloc[index] = new PsegAllocator(l.psegCount());
                target.set(slot, index);
                group.drives = nds;
                group.owner.membershipChanged();
                return index;
            }
        } finally {
            group.adminLock.unlock();
        }
    }

    void removeDrive(int index) {
        group.adminLock.lock();
        try {
            group.checkOpen();
            Drive d = group.member(index);
            Rss rss;
            synchronized (group.allocLock) {
                rss = null;
                for (Rss r : group.rssList) {
                    if (r.slotOf(index) >= 0) {
                        rss = r;
                    }
                }
                int used = index < group.alloc.length && group.alloc[index] != null ? group.alloc[index].used() : 0;
                int holders = 0;
                for (RStoreImpl s : group.rstores.values()) {
                    if (s.rsd().memberOnDrive(index) >= 0) {
                        holders++;
                    }
                }
                if (rss != null && holders > 0 && rss.count() - 1 < Rss.MIN_DRIVES) {
                    throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "cannot remove drive " + index + ": its RSS "
                            + rss.id() + " would keep " + (rss.count() - 1) + " drives, fewer than " + Rss.MIN_DRIVES);
                }
                long freeElsewhere = 0;
                if (rss != null) {
                    for (int s = 0; s < Rss.MAX_DRIVES; s++) {
                        int o = rss.drive(s);
                        if (o >= 0 && o != index && group.eligible(o)) {
                            freeElsewhere += group.alloc[o].free();
                        }
                    }
                }
                if (holders > 0 && freeElsewhere < used) {
                    throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "cannot remove drive " + index + ": "
                            + used + " PSEGs to move but only " + freeElsewhere + " free on the other drives of its RSS");
                }
                group.evacuating.add(index);
            }
            try {
                boolean holds = true;
                for (int attempt = 0; attempt < 3 && holds; attempt++) {
                    Rebuild job = group.rebuild();
                    try {
                        job.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new StorageException(ErrorCode.INVALID_STATE, "removal of drive " + index + " interrupted");
                    }
                    holds = false;
                    for (RStoreImpl s : group.rstores.values()) {
                        if (s.rsd().memberOnDrive(index) >= 0) {
                            holds = true;
                        }
                    }
                }
                if (holds) {
                    List<Long> ids = new ArrayList<>();
                    for (RStoreImpl s : group.rstores.values()) {
                        if (s.rsd().memberOnDrive(index) >= 0) {
                            ids.add(s.rsdId());
                        }
                    }
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot remove drive " + index
                            + ": RStores " + ids + " could not be moved off it (lost redundancy or no room)");
                }
                synchronized (group.allocLock) {
                    if (d.isAvailable()) {
                        try {
                            d.writeLabel(d.label().removed());
                        } catch (StorageException e) {
                            group.problems.add("drive " + index + " removed but its label could not be marked: " + e.getMessage());
                        }
                    }
                    d.markRemoved();
                    if (rss != null) {
                        rss.set(rss.slotOf(index), -1);
                    }
                    group.alloc[index] = null;
                    group.owner.membershipChanged();
                }
            } finally {
                synchronized (group.allocLock) {
                    group.evacuating.remove(index);
                }
            }
        } finally {
            group.adminLock.unlock();
        }
    }
}
