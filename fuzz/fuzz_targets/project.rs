//! Any bytes as a Teach project file: one that decodes is within every limit, and encoding it
//! again gives a file that decodes to the same project.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinhole_compute::teach::Project;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(project) = Project::decode(bytes, "fuzz.pinhole") {
        assert_eq!(project.check(), Ok(()));
        let again = project.encode().expect("a decoded project encodes");
        assert_eq!(Project::decode(&again, "again.pinhole"), Ok(project));
    }
});
