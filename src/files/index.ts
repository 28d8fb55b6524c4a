// files: writing files so that a crash never leaves half of one (atomic, durable writes).
export { writeFileAtomic, streamToFileAtomic, syncDir, tempPathFor, type AtomicWriteOptions } from './atomic.js';
