package io.evasan.nsc.api;

import java.util.List;

/** One disk group as read at the call. PSEGs are 2 MiB. */
public record DiskGroupView(int id, String name, long totalPsegs, long freePsegs, boolean rebuildInProgress,
                            boolean resyncInProgress, List<DriveView> drives) {
    public DiskGroupView {
        drives = List.copyOf(drives);
    }
}
