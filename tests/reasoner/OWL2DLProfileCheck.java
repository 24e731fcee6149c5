// Reports whether RDF documents, merged, are in the OWL 2 DL profile (OWL API profile checker).
// Run with Java's single-file launcher and the OWL API bundled with owlready2's HermiT:
//   java -cp .../owlready2/hermit/HermiT.jar OWL2DLProfileCheck.java FILE...
// Exit status 0: in OWL 2 DL; 1: not, with one violation per line.
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OWL2DLProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology merged = manager.createOntology(IRI.create("urn:kringloop:owl2-dl-check"));
        for (String path : args) {
            manager.addAxioms(merged, manager.loadOntologyFromOntologyDocument(new File(path)).getAxioms());
        }
        OWLProfileReport report = new OWL2DLProfile().checkOntology(merged);
        System.out.println(merged.getAxiomCount() + " axioms, in OWL 2 DL: " + report.isInProfile());
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println(violation);
        }
        System.exit(report.isInProfile() ? 0 : 1);
    }
}
