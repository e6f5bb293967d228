package io.evasan.raid.drive;

import java.nio.file.Path;
import java.util.UUID;

/** Snapshot of one drive of a disk group, for display and tests. */
public record DriveInfo(int index, UUID driveId, Path path, DriveState state, long capacity, int psegCount,
                        int usedPsegs, int rssId, int rssSlot) {
}
