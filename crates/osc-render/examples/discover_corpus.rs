// THROWAWAY: not to be committed.
use osc_render::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let helm = Helm::new(std::env::var("HELM_BIN").unwrap());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = std::env::var("VERBOSE").is_ok();
    for dir in args {
        let chart = PathBuf::from(&dir);
        let t0 = Instant::now();
        let plain = helm.template(&RenderRequest::new(&chart));
        let plain_t = t0.elapsed();
        let t1 = Instant::now();
        let result = discover(&helm, &DiscoverRequest::new(&chart));
        let disc_t = t1.elapsed();
        let name = chart.file_name().unwrap().to_string_lossy().to_string();
        match result {
            Err(e) => println!("CHART {name} ERROR plain_ok={} {e}", plain.is_ok()),
            Ok(d) => {
                let annotated = annotated_images(&chart);
                let found: Vec<String> = d.images.iter().map(|i| i.reference.to_string()).collect();
                let missing: Vec<&String> =
                    annotated.iter().filter(|a| !found.contains(a)).collect();
                let extra: Vec<&String> = found.iter().filter(|f| !annotated.contains(f)).collect();
                let n_covered = d.images.iter().filter(|i| covered(i)).count();
                println!(
                    "CHART {name} images={} annotated={} covered={} renders={} guard={} fragile={} plain_ms={} disc_ms={} missing={:?} extra={:?}",
                    d.images.len(),
                    annotated.len(),
                    n_covered,
                    d.renders,
                    d.guard.as_ref().map(|g| g.key.as_str()).unwrap_or("-"),
                    d.fragile.len(),
                    plain_t.as_millis(),
                    disc_t.as_millis(),
                    missing,
                    extra
                );
                for f in &d.fragile {
                    println!(
                        "  FRAGILE {} :: {}",
                        f.path,
                        f.error.lines().take(3).collect::<Vec<_>>().join(" | ")
                    );
                }
                for i in &d.images {
                    if verbose || !covered(i) {
                        println!("  IMAGE {} covered={}", i.reference, covered(i));
                        for k in &i.keys {
                            println!("    {} {} = {:?} {:?}", k.part, k.path, k.value, k.origin);
                        }
                    }
                }
            }
        }
    }
}

fn covered(i: &FoundImage) -> bool {
    use AddressPart::*;
    let has = |p: AddressPart| i.keys.iter().any(|k| k.part == p && !k.value.is_empty());
    has(FullAddress)
        || ((has(Repository) || (has(Endpoint) && has(Repo)))
            && (has(Tag) || i.reference.tag().is_none()))
}

fn annotated_images(chart: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let Some(images) = v
        .get("annotations")
        .and_then(|a| a.get("images"))
        .and_then(|i| i.as_str())
    else {
        return vec![];
    };
    let list: serde_yaml::Value = serde_yaml::from_str(images).unwrap();
    list.as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("image")?.as_str())
        .map(|s| {
            ImageRef::parse(s)
                .map(|r| r.to_string())
                .unwrap_or(s.to_owned())
        })
        .collect()
}
