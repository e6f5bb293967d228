package io.evasan.nsc.api;

import java.util.List;

/**
 * Progress of a rebuild in disk group {@code group} (named {@code groupName}), in 64 KiB rows; {@code failure}
 * is null unless the rebuild failed.
 */
public record RebuildView(int group, String groupName, long done, long total, int membersRebuilt, boolean finished,
                          List<Long> unrecoverable, Throwable failure) {
    public RebuildView {
        unrecoverable = List.copyOf(unrecoverable);
    }
}
