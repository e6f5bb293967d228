package io.evasan.nsc.api;

import java.nio.file.Path;
import java.util.UUID;

/** One drive of a disk group as read at the call (the RAID layer's drive info). */
public record DriveView(int index, UUID driveId, Path path, DriveStatus state, long capacity, int psegCount,
                        int usedPsegs, int rssId, int rssSlot) {
    /** The same drive reported REMOVED (no PSEG in use). */
    public DriveView removed() {
        return new DriveView(index, driveId, path, DriveStatus.REMOVED, capacity, psegCount, 0, rssId, rssSlot);
    }
}
