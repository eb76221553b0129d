// TaskStore implementation (in progress).
