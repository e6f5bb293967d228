package io.evasan.raid;

import java.util.List;

/** A disk group to create: a name (ASCII, at most 32 bytes) and its drives (at least 6). */
public record GroupSpec(String name, List<DriveSpec> drives) {
    public GroupSpec {
        if (name == null || name.isEmpty() || name.length() > 32 || !name.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("group name must be 1..32 printable ASCII characters: " + name);
        }
        drives = List.copyOf(drives);
    }
}
